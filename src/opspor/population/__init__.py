"""The population scan and its way into the application (DESIGN.md sections 3-4).

`scan/` is pure (no Django): the signals of every listed patient from Parquet tables, on
DuckDB or Spark. The rest loads a scan's results as the practices' worklist signals.
"""
