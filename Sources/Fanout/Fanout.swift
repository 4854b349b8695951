// The Fanout module.
