// The version and revision are compiler definitions, so that one file (VERSION) holds the version and the
// build, not the source, says which revision it is:
// - LAGWATCH_PACKAGE_VERSION is read from VERSION by Package.swift, for every build.
// - LAGWATCH_VERSION and LAGWATCH_REVISION are given by the release builds (scripts/build-release.sh:
//   -Xcc -DLAGWATCH_VERSION=... -Xcc -DLAGWATCH_REVISION=...). They win over the package's value, because
//   SwiftPM may keep an evaluated manifest after VERSION changes.
#include "lagwatch_build_info.h"

#ifndef LAGWATCH_VERSION
#ifdef LAGWATCH_PACKAGE_VERSION
#define LAGWATCH_VERSION LAGWATCH_PACKAGE_VERSION
#else
#define LAGWATCH_VERSION "0.0.0"
#endif
#endif

#ifndef LAGWATCH_REVISION
#define LAGWATCH_REVISION "unknown"
#endif

const char *lagwatch_build_version(void) { return LAGWATCH_VERSION; }

const char *lagwatch_build_revision(void) { return LAGWATCH_REVISION; }
