/** Form limits, shared by the form (browser-side hints) and its server action (the real check). */
/** The API's own limit on names (images/api/app/models/item.py, NAME_MAX_LENGTH). */
export const NAME_MAX = 200
/** The API stores descriptions as TEXT; this keeps the page readable. */
export const DESCRIPTION_MAX = 2000
