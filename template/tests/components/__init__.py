"""The template's tests of each AIO component (see support/ for what they share)."""
