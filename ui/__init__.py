"""The Streamlit app's views and the rendering they share (app.py wires them)."""
