"""The glue between the web/CLI edges and the pure core: load rows, compute, write rows.

Services add and flush; the caller commits (one user action, one transaction).
"""
