package cli

import (
	"fmt"

	"github.com/spf13/pflag"
)

// readsAWSAnnotation marks the flags that only tune how AWS is read (--deep,
// --max-duration, --call-timeout…): a command that reads no AWS — gate with
// --snapshot — would ignore them, so it refuses them instead. The mark is set
// where the flag is registered, so a flag added there is covered without a
// second list.
const readsAWSAnnotation = "amiaudit/reads-aws"

// markReadsAWS marks flag name of fs as one that only applies to reading AWS;
// what says what it does there, completing "--NAME …; with --snapshot …".
func markReadsAWS(fs *pflag.FlagSet, name, what string) {
	if err := fs.SetAnnotation(name, readsAWSAnnotation, []string{what}); err != nil {
		panic(err) // a flag registered just before: a programming error
	}
}

// refuseReadsAWS returns a usage error naming the first flag (in name order)
// given on the command line that only applies to reading AWS, for a command
// line that reads none; why says so ("with --snapshot the gate reads no AWS").
func refuseReadsAWS(fs *pflag.FlagSet, why, instead string) error {
	var err error
	fs.Visit(func(f *pflag.Flag) {
		if what, ok := f.Annotations[readsAWSAnnotation]; ok && err == nil {
			err = usageError(fmt.Errorf("--%s %s; %s: drop --%s, or %s", f.Name, what[0], why, f.Name, instead))
		}
	})
	return err
}
