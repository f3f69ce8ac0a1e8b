"""Streamlit glue shared by the pages: the login gate, cached loaders, plotly chart builders."""
