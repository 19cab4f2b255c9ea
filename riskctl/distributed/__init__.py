"""The same commands on a Dask cluster (`--scheduler ADDR`): partitioned Parquet in, the work
spread over the cluster's workers, results equal to the one-machine path.

Nothing here imports Dask at module level: the one-machine path never loads it.
"""
