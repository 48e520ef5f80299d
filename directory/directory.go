// Package directory maps Slack users to their own phone numbers or SIP
// addresses, read from the YAML file named by MPC_DIRECTORY:
//
//	users:
//	  U0123ABCD: "+14155550100"
//	  U0456EFGH: "sip:alice@example.sip.plivo.com"
//	  U0789IJKL: "+1 415 555 0100 x123"
//
// Values are whatever address.Parse accepts in MPC_DEFAULT_REGION; a desk
// phone's extension is kept (address.Address.Extension) for callers to
// judge. The file is a public contract: keep the format stable.
package directory

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/mpc-bot/mpc-bot/address"
)

// maxFileSize bounds what Load reads; a directory of 100 000 people fits.
const maxFileSize = 8 << 20

// userIDPattern matches Slack user IDs (U… in a workspace, W… on Enterprise Grid).
var userIDPattern = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)

// Directory is an immutable map from Slack user ID to address.
type Directory struct {
	users map[string]address.Address
}

// file is the on-disk shape.
type file struct {
	Users map[string]any `yaml:"users"`
}

// Load reads and validates the file at path. Every bad entry is reported,
// by user ID only, so the error is safe to log.
func Load(path, defaultRegion string) (*Directory, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("directory: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("directory: %w", err)
	}
	if fi.Size() > maxFileSize {
		return nil, fmt.Errorf("directory: %s is larger than %d bytes", path, maxFileSize)
	}
	data := make([]byte, fi.Size())
	if _, err := f.ReadAt(data, 0); err != nil && fi.Size() > 0 {
		return nil, fmt.Errorf("directory: read %s: %w", path, err)
	}
	d, err := Parse(data, defaultRegion)
	if err != nil {
		return nil, fmt.Errorf("directory %s: %w", path, err)
	}
	return d, nil
}

// Parse validates a directory document.
func Parse(data []byte, defaultRegion string) (*Directory, error) {
	var doc file
	if err := yaml.UnmarshalWithOptions(data, &doc, yaml.Strict()); err != nil {
		return nil, fmt.Errorf("not a valid directory file (want a top-level \"users:\" map of Slack user ID to quoted number): %s", firstLine(err.Error()))
	}
	d := &Directory{users: make(map[string]address.Address, len(doc.Users))}
	var problems []string
	for id, v := range doc.Users {
		if !userIDPattern.MatchString(id) {
			problems = append(problems, fmt.Sprintf("%q is not a Slack user ID (like U0123ABCD)", id))
			continue
		}
		s, ok := v.(string)
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: value must be a quoted string such as \"+1 415 555 0100\"", id))
			continue
		}
		a, err := address.Parse(s, defaultRegion)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", id, err))
			continue
		}
		d.users[id] = a
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return nil, errors.New("bad entries: " + strings.Join(problems, "; "))
	}
	return d, nil
}

// Lookup returns the address registered for a Slack user. A nil Directory
// knows nobody, so callers need not special-case an unset MPC_DIRECTORY.
func (d *Directory) Lookup(userID string) (address.Address, bool) {
	if d == nil {
		return address.Address{}, false
	}
	a, ok := d.users[userID]
	return a, ok
}

// Len returns the number of people in the directory.
func (d *Directory) Len() int {
	if d == nil {
		return 0
	}
	return len(d.users)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
