"""The Streamlit page's parts: one module per view, one for the cached work, one for layout.

``streamlit_app.py`` reads top to bottom like a table of contents over these modules; they call
``kmeans/`` for everything they show and only arrange it.
"""
