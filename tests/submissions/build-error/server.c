/* Does not compile: the build log's tail is the reason. */
int main(void)
{
	return missing_semicolon
}
