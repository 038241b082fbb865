"""SDTM-shaped datasets (DOMAIN.md section 8): DM, IE, MH, CM, EC, EX, AE, LB, VS, SV, DS and
the custom bleeding findings domain XB, each as CSV and as a SAS XPT v5 file, with define.csv.

``spec`` declares a domain (its variables with SDTM names and labels, how its rows are read);
``common`` holds what every domain shares (the subject reference, ISO 8601 dates, Y/N);
``special``, ``events``, ``interventions`` and ``findings`` read the features' models into
rows; ``writer`` puts STUDYID, DOMAIN, USUBJID, --SEQ, --DY and EPOCH on every row and writes
the zip. The study-day and epoch rules are ``studyapp.clinical.study_day``.
"""
