'use server'

/**
 * Server action behind the "add an item" form: the browser never talks to the API, only to this
 * server, which forwards over the internal network.
 */
import { revalidatePath } from 'next/cache'
import { createItem } from '@/lib/api'
import { apiInternalUrl } from '@/lib/config'

export interface AddItemState {
  status: 'idle' | 'added' | 'failed'
  message: string
}

const NAME_MAX = 200
const DESCRIPTION_MAX = 2000

export async function addItem(_previous: AddItemState, form: FormData): Promise<AddItemState> {
  const name = String(form.get('name') ?? '').trim()
  const description = String(form.get('description') ?? '').trim()
  if (!name) return { status: 'failed', message: 'A name is required.' }
  if (name.length > NAME_MAX) return { status: 'failed', message: `The name is longer than ${NAME_MAX} characters.` }
  if (description.length > DESCRIPTION_MAX) {
    return { status: 'failed', message: `The description is longer than ${DESCRIPTION_MAX} characters.` }
  }
  const result = await createItem({ baseUrl: apiInternalUrl() }, { name, description: description || null })
  if (!result.ok) return { status: 'failed', message: `The API did not add the item: ${result.reason}` }
  revalidatePath('/')
  return { status: 'added', message: `Added “${result.item.name}”.` }
}
