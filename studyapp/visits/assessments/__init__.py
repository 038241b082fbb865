"""The simple visit forms (PE, ECG, virology, blood bank, anti-platelet antibodies): field lists
described once (``spec``), one form builder, one service and one page for all of them."""
