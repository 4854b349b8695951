// The ITCH module.
