#ifndef LAGWATCH_BUILD_INFO_H
#define LAGWATCH_BUILD_INFO_H

/// lagwatch's version, from the VERSION file at the top of the repository.
const char *lagwatch_build_version(void);

/// The git revision the binary was built from ("unknown" where the build did not say).
const char *lagwatch_build_revision(void);

#endif
