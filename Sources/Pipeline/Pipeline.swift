// The Pipeline module; see the README's layout section.
