// Live updates (notifications issue): replaced by the real client.
