import { useEffect, useRef } from 'react'
import { theme as antTheme } from 'antd'
import { EditorView, basicSetup } from 'codemirror'
import { Compartment } from '@codemirror/state'
import { HighlightStyle, syntaxHighlighting } from '@codemirror/language'
import { tags } from '@lezer/highlight'
import { json } from '@codemirror/lang-json'
import { yaml } from '@codemirror/lang-yaml'

// Syntax colors with at least 4.5:1 contrast on the panel's dark editor
// background (#141414); the default light ones fall to 1.4:1 there.
const darkHighlight = HighlightStyle.define([
  { tag: [tags.string, tags.special(tags.string)], color: '#95de64' },
  { tag: [tags.number, tags.bool, tags.null, tags.atom], color: '#ffc069' },
  { tag: [tags.propertyName, tags.definition(tags.propertyName)], color: '#69b1ff' },
  { tag: [tags.keyword, tags.operator], color: '#ff9c6e' },
  { tag: tags.comment, color: '#bfbfbf', fontStyle: 'italic' },
  { tag: tags.invalid, color: '#ff7875' },
], { themeType: 'dark' })

// Light syntax colors darkened to 4.5:1 on white.
const lightHighlight = HighlightStyle.define([
  { tag: [tags.string, tags.special(tags.string)], color: '#a8071a' },
  { tag: [tags.number, tags.bool, tags.null, tags.atom], color: '#135200' },
  { tag: [tags.propertyName, tags.definition(tags.propertyName)], color: '#10239e' },
  { tag: [tags.keyword, tags.operator], color: '#ad2102' },
  { tag: tags.comment, color: '#595959', fontStyle: 'italic' },
  { tag: tags.invalid, color: '#a8071a' },
], { themeType: 'light' })

// CodeEditor is a CodeMirror 6 JSON (or YAML) editor bound to value/onChange,
// colored from the antd theme (light or dark) and named for screen readers.
export default function CodeEditor({ value, onChange, height = 360, id, lang = 'json', label }: { value: string; onChange: (v: string) => void; height?: number; id?: string; lang?: 'json' | 'yaml'; label?: string }) {
  const el = useRef<HTMLDivElement>(null)
  const view = useRef<EditorView | null>(null)
  const themeSlot = useRef(new Compartment())
  const cb = useRef(onChange)
  cb.current = onChange
  const { token } = antTheme.useToken()
  const dark = luminance(token.colorBgContainer) < 0.2
  const look = () => [
    EditorView.theme({
      '&': { height: height + 'px', border: `1px solid ${token.colorBorder}`, color: token.colorText, backgroundColor: token.colorBgContainer },
      '.cm-scroller': { overflow: 'auto' },
      '.cm-content': { caretColor: token.colorText },
      '.cm-gutters': { backgroundColor: token.colorBgLayout, color: token.colorTextSecondary, borderRight: `1px solid ${token.colorBorder}` },
      '.cm-activeLine': { backgroundColor: dark ? '#ffffff0f' : '#0000000a' },
      '.cm-activeLineGutter': { backgroundColor: dark ? '#ffffff14' : '#0000000f', color: token.colorText },
      '&.cm-focused .cm-selectionBackground, .cm-selectionBackground': { backgroundColor: dark ? '#15395b' : '#bae0ff' },
    }, { dark }),
    syntaxHighlighting(dark ? darkHighlight : lightHighlight),
  ]
  useEffect(() => {
    view.current = new EditorView({
      doc: value, parent: el.current!,
      extensions: [basicSetup, lang === 'yaml' ? yaml() : json(), EditorView.updateListener.of((u) => { if (u.docChanged) cb.current(u.state.doc.toString()) }),
        EditorView.contentAttributes.of({ 'aria-label': label ?? (lang === 'yaml' ? 'YAML' : 'JSON') }),
        themeSlot.current.of(look())],
    })
    // The scroller is a keyboard stop of its own, so a long document can be
    // scrolled without entering the editor.
    view.current.scrollDOM.tabIndex = 0
    return () => view.current?.destroy()
  }, [])
  useEffect(() => { view.current?.dispatch({ effects: themeSlot.current.reconfigure(look()) }) }, [dark, token.colorBgContainer])
  useEffect(() => {
    const v = view.current
    if (v && v.state.doc.toString() !== value) v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value } })
  }, [value])
  return <div ref={el} id={id} className="code-editor" />
}

// luminance of a #rrggbb color (0 black, 1 white), to tell the dark theme.
function luminance(hex: string): number {
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})/i.exec(hex)
  if (!m) return 1
  return (0.2126 * parseInt(m[1], 16) + 0.7152 * parseInt(m[2], 16) + 0.0722 * parseInt(m[3], 16)) / 255
}
