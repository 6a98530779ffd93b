"""Placeholder page; the dashboard arrives with its own issue."""

import streamlit as st

st.title("K-Means colour quantiser")
