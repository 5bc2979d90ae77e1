// An independent Yjs client (the yjs library itself) for tests/test_collab.py.
// stdin: {"updates": [base64 v1 updates from the server], "insert": [index, text]}
// stdout: {"text": the text after applying and editing, "update": base64 v1 update of the edit,
//          "v2": base64 of the whole document as a Yjs *v2* update, "state": base64 v1 state}
// Also, for relative positions (indexes count characters, as Python does, not UTF-16 units):
// "positions": [index...] -> "made": [base64 Y.encodeRelativePosition at each index]
// "resolve": [base64 position...] -> "resolved": [index, or null, of each in the text]
import * as Y from 'yjs'

const input = JSON.parse(await new Promise((resolve) => {
  let data = ''
  process.stdin.on('data', (chunk) => { data += chunk })
  process.stdin.on('end', () => resolve(data))
}))
const doc = new Y.Doc()
const text = doc.getText('text')
for (const update of input.updates || []) Y.applyUpdate(doc, Buffer.from(update, 'base64'))
const before = Y.encodeStateVector(doc)
if (input.insert) text.insert(Math.min(input.insert[0], text.length), input.insert[1])
const b64 = (bytes) => Buffer.from(bytes).toString('base64')
const utf16 = (chars) => Array.from(text.toString()).slice(0, chars).join('').length
const chars = (units) => Array.from(text.toString().slice(0, units)).length
const made = (input.positions || []).map((at) =>
  b64(Y.encodeRelativePosition(Y.createRelativePositionFromTypeIndex(text, utf16(at)))))
const resolved = (input.resolve || []).map((position) => {
  const relative = Y.decodeRelativePosition(Buffer.from(position, 'base64'))
  const absolute = Y.createAbsolutePositionFromRelativePosition(relative, doc)
  return absolute && absolute.type === text ? chars(absolute.index) : null
})
process.stdout.write(JSON.stringify({
  text: text.toString(),
  update: b64(Y.encodeStateAsUpdate(doc, before)),
  v2: b64(Y.encodeStateAsUpdateV2(doc)),
  state: b64(Y.encodeStateAsUpdate(doc)),
  made,
  resolved,
}))
