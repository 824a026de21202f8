#ifndef CCRYPT_SHIM_H
#define CCRYPT_SHIM_H
/* libxcrypt (Debian's libcrypt1, headers in libcrypt-dev): crypt_r checks bcrypt ($2a$, $2b$, $2y$)
   hashes, the format the Prometheus exporter-toolkit's web configuration uses. */
#include <crypt.h>
#endif
