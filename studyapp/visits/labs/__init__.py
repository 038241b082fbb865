"""Laboratory forms (LB: CBC, chemistry, immunoglobulins): the save, how a value is read and
graded, the findings that ask for an adverse event, the form and the pages."""
