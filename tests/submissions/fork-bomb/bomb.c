/* Forks until it cannot, then keeps trying; never listens. */
#include <unistd.h>

int main(void)
{
	for (;;)
		fork();
}
