/* What --version prints, for tingled and tingle-render alike, in the GNU
 * form: the program, the package and its version, the copyright holder
 * (the tingle developers, listed in AUTHORS) and the licence. Needs
 * config.h (PACKAGE_NAME, PACKAGE_VERSION) included first. */
#ifndef TINGLE_VERSION_H
#define TINGLE_VERSION_H

#define TINGLE_COPYRIGHT "Copyright (C) 2026 the tingle developers"

#define TINGLE_VERSION_TEXT(program)                                                      \
	program " (" PACKAGE_NAME ") " PACKAGE_VERSION "\n" TINGLE_COPYRIGHT "\n"             \
		"License GPLv3+: GNU GPL version 3 or later <https://gnu.org/licenses/gpl.html>.\n" \
		"This is free software: you are free to change and redistribute it.\n"            \
		"There is NO WARRANTY, to the extent permitted by law.\n"

#endif
