package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
)

// Config is x-ui.json read once, with the XUI_DB_* overrides applied. The
// program loads it at start and passes it down; the Get*FromJSON functions
// stay as facades for the plan's callers.
type Config struct {
	Path  string
	DB    DBConfig
	Node  NodeConfig
	Panel PanelConfig
}

// FileError says why x-ui.json could not be used: the path, where in the
// file (line and column, 1-based, when known) and the cause.
type FileError struct {
	Path         string
	Line, Column int
	Cause        error
}

func (e *FileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d:%d: %v", e.Path, e.Line, e.Column, e.Cause)
	}
	return fmt.Sprintf("%s: %v", e.Path, e.Cause)
}

func (e *FileError) Unwrap() error { return e.Cause }

// Load reads x-ui.json. A missing file means defaults; a file that cannot be
// read, is not valid JSON, is not an object, or holds a known key with a
// value of the wrong type is an error: reading it as empty would turn a
// worker into a SQLite master with the default login.
func Load() (Config, error) {
	path := GetSettingPath()
	settings, err := readSettingsFile(path)
	if err != nil {
		return Config{}, err
	}
	if err := checkKnownTypes(settings); err != nil {
		return Config{}, &FileError{Path: path, Cause: err}
	}
	return Config{
		Path:  path,
		DB:    dbConfigFrom(settings),
		Node:  nodeConfigFrom(settings),
		Panel: panelConfigFrom(settings),
	}, nil
}

// readSettingsFile parses path; a missing or blank file is an empty object.
func readSettingsFile(path string) (map[string]any, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]any{}, nil
	}
	if err != nil {
		return nil, &FileError{Path: path, Cause: err}
	}
	settings := map[string]any{}
	if len(bytes.TrimSpace(data)) == 0 {
		return settings, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&settings); err != nil {
		return nil, jsonFileError(path, data, err)
	}
	// Trailing data after the object ("{} {}", a stray bracket) is damage too.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		off := dec.InputOffset()
		return nil, positioned(path, data, off, errors.New("unexpected data after the top-level object"))
	}
	return settings, nil
}

func jsonFileError(path string, data []byte, err error) error {
	var syntax *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return positioned(path, data, syntax.Offset, err)
	case errors.As(err, &typeErr):
		return positioned(path, data, typeErr.Offset, errors.New("the file must hold one JSON object"))
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return positioned(path, data, int64(len(data)), errors.New("unexpected end of file (unclosed object or string)"))
	}
	return &FileError{Path: path, Cause: err}
}

// positioned turns a byte offset into a 1-based line and column.
func positioned(path string, data []byte, offset int64, cause error) error {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	if offset < 1 {
		offset = 1
	}
	before := data[:offset]
	line := bytes.Count(before, []byte{'\n'}) + 1
	col := int(offset) - bytes.LastIndexByte(before, '\n') - 1
	if col < 1 {
		col = 1
	}
	return &FileError{Path: path, Line: line, Column: col, Cause: cause}
}

// knownKeyTypes are the keys whose type the readers rely on; a wrong type
// would otherwise fall back to a default without a word.
var knownKeyTypes = map[string]string{
	"dbType": "string", "dbHost": "string", "dbPort": "int", "dbUser": "string",
	"dbPassword": "string", "dbName": "string", "dbTLS": "string|bool",
	"nodeRole": "string", "nodeId": "string", "nodeAddress": "string",
	"syncInterval": "int", "trafficFlushInterval": "int",
	"listen": "string", "port": "int", "webBasePath": "string",
	"certFile": "string", "keyFile": "string",
	"secret": "string", "sessionMaxAge": "int",
}

func checkKnownTypes(settings map[string]any) error {
	for key, want := range knownKeyTypes {
		value, ok := lookupGrouped(settings, key)
		if !ok {
			continue
		}
		if !valueHasType(value, want) {
			return fmt.Errorf("%s: %s expected, got %s", key, strings.ReplaceAll(want, "|", " or "), describeJSON(value))
		}
	}
	return nil
}

func valueHasType(value any, want string) bool {
	for _, kind := range strings.Split(want, "|") {
		switch v := value.(type) {
		case string:
			if kind == "string" {
				return true
			}
			// Older installs stored numbers as strings ("port": "2053").
			if _, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && kind == "int" {
				return true
			}
		case float64:
			if kind == "int" && v == float64(int64(v)) {
				return true
			}
		case bool:
			if kind == "bool" {
				return true
			}
		}
	}
	return false
}

func describeJSON(value any) string {
	switch v := value.(type) {
	case string:
		return strconv.Quote(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	}
	return fmt.Sprint(value)
}
