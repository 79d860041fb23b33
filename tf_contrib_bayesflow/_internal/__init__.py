"""Private machinery shared by the public legacy modules. Not part of the API."""
