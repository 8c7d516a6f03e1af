/**
 * The HubSpot default contact properties the platform touches or a developer expects to see, with
 * HubSpot's names, types and field types (CRM v3 properties API).
 */
export type DefaultProperty = {
  name: string;
  label: string;
  type: 'string' | 'number' | 'date' | 'datetime' | 'enumeration' | 'bool' | 'phone_number';
  fieldType: string;
  groupName: string;
  options?: { label: string; value: string }[];
  readOnly?: boolean;
};

const text = (name: string, label: string, groupName = 'contactinformation'): DefaultProperty => ({ name, label, type: 'string', fieldType: 'text', groupName });
const choices = (...values: [string, string][]) => values.map(([value, label]) => ({ value, label }));

export const defaultContactProperties: DefaultProperty[] = [
  text('email', 'Email'),
  text('firstname', 'First Name'),
  text('lastname', 'Last Name'),
  { name: 'phone', label: 'Phone Number', type: 'string', fieldType: 'phonenumber', groupName: 'contactinformation' },
  { name: 'mobilephone', label: 'Mobile Phone Number', type: 'string', fieldType: 'phonenumber', groupName: 'contactinformation' },
  text('company', 'Company Name'),
  text('jobtitle', 'Job Title'),
  text('address', 'Street Address'),
  text('city', 'City'),
  text('state', 'State/Region'),
  text('zip', 'Postal Code'),
  text('country', 'Country/Region'),
  {
    name: 'lifecyclestage',
    label: 'Lifecycle Stage',
    type: 'enumeration',
    fieldType: 'radio',
    groupName: 'contactinformation',
    options: choices(
      ['subscriber', 'Subscriber'],
      ['lead', 'Lead'],
      ['marketingqualifiedlead', 'Marketing Qualified Lead'],
      ['salesqualifiedlead', 'Sales Qualified Lead'],
      ['opportunity', 'Opportunity'],
      ['customer', 'Customer'],
      ['evangelist', 'Evangelist'],
      ['other', 'Other'],
    ),
  },
  {
    name: 'hs_lead_status',
    label: 'Lead Status',
    type: 'enumeration',
    fieldType: 'radio',
    groupName: 'sales_properties',
    options: choices(
      ['NEW', 'New'],
      ['OPEN', 'Open'],
      ['IN_PROGRESS', 'In Progress'],
      ['OPEN_DEAL', 'Open Deal'],
      ['UNQUALIFIED', 'Unqualified'],
      ['ATTEMPTED_TO_CONTACT', 'Attempted to Contact'],
      ['CONNECTED', 'Connected'],
      ['BAD_TIMING', 'Bad Timing'],
    ),
  },
  { name: 'createdate', label: 'Create Date', type: 'datetime', fieldType: 'date', groupName: 'contactinformation', readOnly: true },
  { name: 'lastmodifieddate', label: 'Last Modified Date', type: 'datetime', fieldType: 'date', groupName: 'contactinformation', readOnly: true },
  { name: 'hs_object_id', label: 'Record ID', type: 'number', fieldType: 'number', groupName: 'contactinformation', readOnly: true },
];

/** The contact property groups of a new HubSpot account (name, label). */
export const defaultPropertyGroups: [string, string][] = [
  ['contactinformation', 'Contact information'],
  ['emailinformation', 'Email information'],
  ['conversioninformation', 'Conversion information'],
  ['sales_properties', 'Sales properties'],
  ['socialmediainformation', 'Social media information'],
];

/** What GET /crm/v3/objects/contacts returns when the caller names no properties. */
export const defaultListedProperties = ['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname'];
