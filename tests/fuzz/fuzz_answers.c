/* tests/fuzz/fuzz_answers.c — libFuzzer target for a student's answers file
 * (harness/answers.c): the input is the file, parsed, then each answer
 * looked up and compared, as numbers and as text, with the keys a capture
 * gives (and with each other). Nothing may crash, leak or read out of bounds.
 */
#include <stddef.h>
#include <stdint.h>

#include "harness/answers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = { "79", "0.052", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "GET",
					    "" };
	struct answers *a = NULL;
	char err[128];

	if (answers_parse("answers.txt", (const char *)data, size, &a, err, sizeof(err)))
		return 0;
	for (size_t i = 0; i < a->n; i++) {
		if (answers_get(a, a->a[i].id) == NULL)
			__builtin_trap(); /* what was read must be found */
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			answers_match(keys[k], a->a[i].value, 0.005);
		answers_match(a->a[i].value, a->a[(i + 1) % a->n].value, 0);
	}
	answers_free(a);
	return 0;
}
