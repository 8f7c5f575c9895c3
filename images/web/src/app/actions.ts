'use server'

/**
 * Server action behind the "add an item" form: the browser never talks to the API, only to this
 * server, which forwards over the internal network. A refused submit answers with what was typed
 * (the form shows it again) and the reason next to the field concerned.
 */
import { revalidatePath } from 'next/cache'
import { createItem, type FieldErrors } from '@/lib/api'
import { apiInternalUrl } from '@/lib/config'
import { DESCRIPTION_MAX, NAME_MAX } from '@/lib/limits'

export interface AddItemState {
  status: 'idle' | 'added' | 'failed'
  /** Shown below the form: the outcome, or a failure that belongs to no single field. */
  message: string
  /** What the form shows: empty after a success, what was typed after a failure. */
  values: { name: string; description: string }
  errors: FieldErrors
}

export async function addItem(_previous: AddItemState, form: FormData): Promise<AddItemState> {
  const typed = { name: String(form.get('name') ?? ''), description: String(form.get('description') ?? '') }
  const name = typed.name.trim()
  const description = typed.description.trim()
  const refused = (message: string, errors: FieldErrors): AddItemState => ({ status: 'failed', message, values: typed, errors })
  if (!name) return refused('The item was not added.', { name: 'A name is required.' })
  if (name.length > NAME_MAX) {
    return refused('The item was not added.', { name: `The name is longer than ${NAME_MAX} characters.` })
  }
  if (description.length > DESCRIPTION_MAX) {
    return refused('The item was not added.', {
      description: `The description is longer than ${DESCRIPTION_MAX} characters.`,
    })
  }
  const result = await createItem({ baseUrl: apiInternalUrl() }, { name, description: description || null })
  if (!result.ok) {
    const atFields = Object.keys(result.fieldErrors).length > 0
    return refused(
      atFields ? 'The API did not add the item.' : `The API did not add the item: ${result.reason}`,
      result.fieldErrors,
    )
  }
  revalidatePath('/')
  return { status: 'added', message: `Added “${result.item.name}”.`, values: { name: '', description: '' }, errors: {} }
}
