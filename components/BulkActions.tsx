/** The bulk action fields shared by the customer list (checked rows) and a segment (everyone). */
export function BulkActionFields(props: { who: string }) {
  return (
    <>
      <label for="bulk-action">{props.who}</label>
      <select id="bulk-action" name="action">
        <option value="tag">Add tag</option>
        <option value="untag">Remove tag</option>
        <option value="note">Add note</option>
        <option value="email">Send an email</option>
      </select>
      <label class="visually-hidden" for="bulk-subject">Email subject</label>
      <input type="text" id="bulk-subject" name="subject" placeholder="Subject (emails only)" />
      <label class="visually-hidden" for="bulk-text">Tag name, note or message</label>
      <input type="text" id="bulk-text" name="text" placeholder="Tag name, note or message" />
      <button type="submit" class="secondary">Apply</button>
    </>
  );
}
