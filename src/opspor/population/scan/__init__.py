"""The population scan: the engine's signals for every listed patient of a region, from
Parquet tables, on DuckDB (embedded) or Apache Spark, through one set of Ibis expressions.

Pure: no Django. The application loads its results (`opspor.population.imports`).
"""
