"""The template's tests of the app: pages, settings, serving, conventions."""
