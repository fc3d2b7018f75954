"""Image work written once: the codec (open, sniff, encode, fit), uploads, derived layers and the PSD."""
