/* cp.h: qmail-checkpassword's exit codes and its SCRAM mode (scram_mode.c). */
#ifndef QNG_CP_H
#define QNG_CP_H

#define CP_REJECT 1
#define CP_MISUSE 2
#define CP_TEMP 111

/* `qmail-checkpassword --scram`: one request on fd 3; the exit code. */
int cp_scram(void);

#endif
