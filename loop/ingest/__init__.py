"""Ingestion: from files of any usual format to a clean pool, a quarantine and a report."""
