"""The file service: files attached to tickets."""
