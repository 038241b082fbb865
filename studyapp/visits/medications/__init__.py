"""Concomitant medications and rescue therapy (CM): the service, the forms and the pages."""
