//go:build !unix

package store

// fileLock is a no-op where flock(2) does not exist; the supported
// platforms (Linux containers, macOS) are unix.
type fileLock struct{}

func lockFile(string) (*fileLock, error) { return &fileLock{}, nil }

func (*fileLock) release() {}
