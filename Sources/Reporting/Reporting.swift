// The Reporting module; see the README's layout section.
