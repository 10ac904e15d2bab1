"""lmnic testbed: builds guest images and runs TCG guests on one L2 segment."""
