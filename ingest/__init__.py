"""Ingestion: load board papers, find their structure, chunk them into citable passages."""
