/* cmds.h - one function per subcommand; each returns an exit code (util.h). */
#ifndef KAUDIT_CMDS_H
#define KAUDIT_CMDS_H

int cmd_verify(int argc, char **argv);
int cmd_lint(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_observe(int argc, char **argv);
int cmd_summary(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_worker(int argc, char **argv); /* hidden: one case, in a child process */

#endif
