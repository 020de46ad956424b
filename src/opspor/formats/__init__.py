"""Date formats per language, where Django's defaults don't suit a Danish clinic."""
