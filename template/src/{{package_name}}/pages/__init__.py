"""Dash Pages of the app: one module per page, found by `dash.register_page`.

User-owned: add, change or delete pages freely; `copier update` does not touch them.
"""
