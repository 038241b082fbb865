"""The visit calendar: target dates and windows, visit dates, visits not done, unscheduled
visits, the casebook and visit pages and the study-wide tracker."""
