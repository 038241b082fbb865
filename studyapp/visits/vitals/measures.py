"""The vital signs form's fields and the protocol vital sign codes they record."""

#: Form field -> protocol vital sign code (limits, unit and decimals come from the protocol).
MEASURES = {
    "weight": "WEIGHT",
    "height": "HEIGHT",
    "sysbp": "SYSBP",
    "diabp": "DIABP",
    "pulse": "PULSE",
    "temp": "TEMP",
}
UNIT_COLUMNS = {
    "weight": "weight_unit",
    "height": "height_unit",
    "sysbp": "bp_unit",
    "diabp": "bp_unit",
    "pulse": "pulse_unit",
    "temp": "temp_unit",
}
