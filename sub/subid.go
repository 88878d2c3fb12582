package sub

import (
	"crypto/rand"
	"math/big"
)

// SubIDLength is the length of generated subIds: 16 random characters
// from 62 give about 95 bits, beyond guessing.
const SubIDLength = 16

const subIDAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// NewSubID returns a fresh random subId.
func NewSubID() string {
	b := make([]byte, SubIDLength)
	n := big.NewInt(int64(len(subIDAlphabet)))
	for i := range b {
		k, err := rand.Int(rand.Reader, n)
		if err != nil {
			panic(err) // crypto/rand does not fail on supported platforms
		}
		b[i] = subIDAlphabet[k.Int64()]
	}
	return string(b)
}
