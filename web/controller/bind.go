package controller

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/mhsanaei/3x-ui/v2/errs"
)

// maxBodyBytes bounds a JSON or form body (an inbound with many thousands of
// clients is a few MB).
const maxBodyBytes = 32 << 20

// bind fills dst from a JSON body or from form fields (the 3x-ui UI posts
// forms, scripts post JSON). Errors are errs.Invalid naming the field.
func bind(c *gin.Context, dst any) error {
	if isJSON(c.Request) {
		return bindJSON(c, dst)
	}
	if err := c.Request.ParseMultipartForm(maxBodyBytes); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		return errs.Invalid("body", "cannot read form: %v", err)
	}
	return bindForm(c.Request.Form, dst)
}

func isJSON(r *http.Request) bool {
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Type"))), "application/json")
}

func bindJSON(c *gin.Context, dst any) error {
	body, err := readJSONBody(c)
	if err != nil {
		return err
	}
	return decodeJSON(body, dst)
}

// readJSONBody reads a JSON body (bounded, not empty).
func readJSONBody(c *gin.Context) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, &errMaxBytes{limit: mbe.Limit}
		}
		return nil, errs.Invalid("body", "cannot read body: %v", err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, errs.Invalid("body", "is empty; send a JSON object")
	}
	return body, nil
}

// decodeJSON turns encoding/json errors into messages naming the field.
func decodeJSON(body []byte, dst any) error {
	err := json.Unmarshal(body, dst)
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &syn):
		return errs.Invalid("body", "malformed JSON at byte %d: %v", syn.Offset, syn)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "body"
		}
		return errs.Invalid(field, "must be %s, got JSON %s", jsonKind(typ.Type), typ.Value)
	default:
		return errs.Invalid("body", "invalid JSON: %v", err)
	}
}

func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "an array"
	default:
		return "an object"
	}
}

// bindForm sets the scalar fields of the struct dst points to from form
// values, by `form` tag (falling back to the `json` name).
func bindForm(values url.Values, dst any) error {
	v := reflect.ValueOf(dst)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("bindForm: need a pointer to a struct, got %T", dst)
	}
	return bindFormStruct(values, v.Elem())
}

func bindFormStruct(values url.Values, sv reflect.Value) error {
	st := sv.Type()
	for i := 0; i < st.NumField(); i++ {
		f := st.Field(i)
		if !f.IsExported() {
			continue
		}
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			if err := bindFormStruct(values, sv.Field(i)); err != nil {
				return err
			}
			continue
		}
		name := fieldName(f)
		raw, present := values[name]
		if name == "" || name == "-" || !present || len(raw) == 0 {
			continue
		}
		if err := setScalar(sv.Field(i), strings.TrimSpace(raw[0])); err != nil {
			return errs.Invalid(name, "%v, got %q", err, raw[0])
		}
	}
	return nil
}

func fieldName(f reflect.StructField) string {
	if tag, ok := f.Tag.Lookup("form"); ok {
		return strings.Split(tag, ",")[0]
	}
	if tag, ok := f.Tag.Lookup("json"); ok {
		return strings.Split(tag, ",")[0]
	}
	return f.Name
}

func setScalar(fv reflect.Value, raw string) error {
	switch fv.Kind() {
	case reflect.String:
		fv.SetString(raw)
	case reflect.Bool:
		b, err := strconv.ParseBool(strings.ToLower(raw))
		if raw == "on" {
			b, err = true, nil
		}
		if err != nil {
			return errors.New("must be true or false")
		}
		fv.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(raw, 10, fv.Type().Bits())
		if err != nil {
			return errors.New("must be an integer")
		}
		fv.SetInt(n)
	case reflect.Float32, reflect.Float64:
		n, err := strconv.ParseFloat(raw, fv.Type().Bits())
		if err != nil {
			return errors.New("must be a number")
		}
		fv.SetFloat(n)
	default:
		// Lists and objects come as JSON text in a form field.
		p := reflect.New(fv.Type())
		if err := json.Unmarshal([]byte(raw), p.Interface()); err != nil {
			return errors.New("must be JSON " + jsonKind(fv.Type()))
		}
		fv.Set(p.Elem())
	}
	return nil
}

// bindValues reads a flat settings-like body, JSON object or form, into
// name -> value (a form field's first value). allowEmpty lets a JSON
// request without a body mean "no values" (the email test's "use what is
// stored").
func bindValues(c *gin.Context, allowEmpty bool) (map[string]any, error) {
	values := map[string]any{}
	if isJSON(c.Request) {
		if allowEmpty && c.Request.ContentLength == 0 {
			return values, nil
		}
		if err := bindJSON(c, &values); err != nil {
			return nil, err
		}
		return values, nil
	}
	if err := c.Request.ParseForm(); err != nil {
		return nil, errs.Invalid("body", "cannot read form: %v", err)
	}
	for k, v := range c.Request.PostForm {
		values[k] = v[0]
	}
	return values, nil
}
