"""The template's tests of the engines: the store, filters, queries."""
