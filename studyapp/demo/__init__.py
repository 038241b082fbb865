"""The demo study: fictitious subjects, visits and safety events for trying studyapp."""
