"# placeholder"
