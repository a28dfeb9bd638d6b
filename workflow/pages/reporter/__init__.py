"""The reporter's pages: raise a concern, the receipt, my concerns and the conversation."""
